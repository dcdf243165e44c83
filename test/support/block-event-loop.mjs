// Blocks a running Node process's main thread for real, from outside, with nothing added to its code: through
// the inspector the process was started with (--inspect=127.0.0.1:0), it evaluates a busy loop of MS
// milliseconds on the main thread, the way a runaway synchronous computation would. Prints "blocked" when the
// loop has begun, "done" when it has ended. Run as: node --experimental-websocket block-event-loop.mjs WS_URL MS
const [url, ms] = process.argv.slice(2);
const socket = new WebSocket(url);
socket.addEventListener('open', () => {
  process.stdout.write('blocked\n');
  socket.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression: `{ const end = Date.now() + ${Number(ms)}; while (Date.now() < end); }` } }));
});
socket.addEventListener('message', (event) => {
  const reply = JSON.parse(String(event.data));
  if (reply.id !== 1) return;
  process.stdout.write('done\n');
  socket.close();
});
socket.addEventListener('error', (event) => {
  process.stderr.write(`inspector: ${event.message ?? 'error'}\n`);
  process.exit(1);
});
