// Text from outside bound for a person's terminal (a service's output, a device id, an MQTT topic or client id,
// a name in an agent's answer, a configuration key): escape sequences in it could set the clipboard (OSC 52),
// retitle the window, clear the screen or move the cursor over earlier lines, and a \r or \n could draw a
// line the agent never logged. Every control character but TAB (C0, DEL and C1: an 8-bit CSI is U+009B) is
// shown as `\xNN`, so an ESC sequence reads as text. One function for the CLI's lines and tables and the
// agent's readable log; programs get JSON, where the same characters are \u escapes (terminalSafeJson).
// Unicode's bidirectional embeddings, overrides and isolates (U+202A-202E, U+2066-2069) and its line and
// paragraph separators (U+2028, U+2029) go the same way, as `\u{NNNN}`: a terminal that does bidi would show
// a name reordered ("Trojan Source"), and some break a line at U+2028.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify leaves raw: it escapes C0 itself, but DEL, C1 and the Unicode ones are legal as they are. */
const RAW_IN_JSON = /[\u007f-\u009f]/g;

const hex = (c: string): string => c.charCodeAt(0).toString(16).padStart(2, '0');
const shown = (c: string): string => (c.charCodeAt(0) > 0xff ? `\\u{${hex(c)}}` : `\\x${hex(c)}`);

export const terminalText = (text: string): string => text.replace(CONTROL, shown);

/** JSON text with DEL and C1 written as \u00NN: the same value for a program, no byte a terminal acts on. */
export const terminalSafeJson = (json: string): string => json.replace(RAW_IN_JSON, (c) => `\\u${hex(c).padStart(4, '0')}`);
