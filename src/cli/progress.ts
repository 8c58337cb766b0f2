// Progress lines for long copies (`kcp backup`, `kcp restore`): at most one a second, and always the last.
import { log } from "../log.ts";

export function progressReporter(verb: string): (done: number, total: number) => void {
  let last = Date.now();
  return (done, total) => {
    if (done < total && Date.now() - last < 1000) return;
    last = Date.now();
    const percent = total > 0 ? Math.floor((done * 100) / total) : 100;
    log.info(`${verb} ${done}/${total} keys (${percent}%)`);
  };
}
