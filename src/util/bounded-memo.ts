// Answers asked for over and over with the same few keys (Accept headers, User-Agents, field
// names), remembered; bounded so that an endless variety of keys cannot grow memory: at most
// `maxEntries` keys of at most `maxKeyLength` characters are kept, and any other key is answered
// by computing it again.

export class BoundedMemo<V> {
  private readonly answers = new Map<string, V>();

  constructor(
    private readonly compute: (key: string) => V,
    private readonly maxEntries: number,
    private readonly maxKeyLength: number,
  ) {}

  get(key: string): V {
    const known = this.answers.get(key);
    if (known !== undefined || this.answers.has(key)) return known as V;
    const answer = this.compute(key);
    if (key.length <= this.maxKeyLength && this.answers.size < this.maxEntries) this.answers.set(key, answer);
    return answer;
  }
}
