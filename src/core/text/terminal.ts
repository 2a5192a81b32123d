// What the CLI prints includes text from outside: server bodies and error messages, plan and
// runbook contents, file names. A hostile endpoint could clear the screen or move the cursor and
// forge "rollgate run: 1 cell succeeded." on a failed run. Every control character except a
// newline and a tab is shown as a visible escape instead, as JSON writes it, so JSON output stays
// valid and a person sees that something odd was there.

/** C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character but `\n` and `\t` written as `\u001b` and the like; `\r\n` becomes `\n`. */
export function neutralizeControlCharacters(text: string): string {
  return text.replace(CONTROL, (character) => (character === '\r\n' ? '\n' : `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
