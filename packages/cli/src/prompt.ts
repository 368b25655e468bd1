/** A no-echo terminal prompt for secrets (passphrases, private keys): they never reach argv or the screen. */
import { createInterface } from 'node:readline';

/** Reads one line from the terminal without echoing it. */
export async function promptSecret(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.includes(question)) process.stderr.write(s);
  };
  try {
    return await new Promise((ok) => rl.question(question, ok));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
