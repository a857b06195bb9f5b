// The table's websocket, opened the moment this small module arrives (the page loads it with
// `async`, apart from the rest): on a slow network its handshake, a whole round trip, then
// overlaps with loading the page's script and styles. main.js listens to it when it runs.

import { connectTable } from "../socket.js";

const code = document.querySelector('meta[name="kaartspel-table"]').content;

export const socket = connectTable(code);
