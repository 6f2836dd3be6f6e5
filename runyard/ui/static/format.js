// Shared formatting of times, durations and numbers.

export function formatTime(ms) {
  if (ms === undefined || ms === null || ms === "") return "";
  const date = new Date(Number(ms));
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
         `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function formatDuration(startMs, endMs) {
  if (!startMs) return "";
  const end = endMs ? Number(endMs) : Date.now();
  let seconds = Math.max(0, Math.round((end - Number(startMs)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  seconds %= 60;
  if (minutes < 60) return `${minutes}m ${seconds}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export function formatNumber(value) {
  if (value === undefined || value === null || value === "") return "";
  if (typeof value === "string") return value; // "NaN", "Infinity" arrive as strings
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}
