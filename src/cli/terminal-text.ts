// Remote text bound for the operator's terminal (a service's output, an error that quotes an archive's path):
// escape sequences in it could set the clipboard (OSC 52), retitle the window, clear the screen or move the
// cursor over earlier lines. Every control character but TAB, C1 included, is shown as `\xNN` instead. Tables
// drop them instead (table.ts cellText); --json output keeps the text as it came, JSON-escaped.
export const terminalText = (text: string): string => text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
