/** Ports 1 to 65535. */
const PORT = '(?:6553[0-5]|655[0-2]\\d|65[0-4]\\d{2}|6[0-4]\\d{3}|[1-5]\\d{4}|[1-9]\\d{0,3})';

/** `tcp://` and a host (name, IPv4, or IPv6 in brackets) and a port; or `unix://` and an absolute path. */
export const RUNTIME_API_URL_PATTERN = new RegExp(`^(?:tcp://(?:\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9.-]+):${PORT}|unix:///\\S+)$`);

/** HAProxy backend and server names: letters, digits and `-_.:` (what `set weight backend/server` can address). */
export const HAPROXY_NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
