"""Store interfaces, their factory, and the implementations (imported lazily by the factory)."""
