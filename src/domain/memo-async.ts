// A value built once on first use and shared, except that a failed build is forgotten: the
// next caller builds again. Keeping the rejected promise would fail every later invocation on
// the worker after one transient failure (a storage blip while importing, a token timeout).

export interface MemoAsync<T> {
  (): Promise<T>;
  /** Forget the value (tests that change settings between cases). */
  reset(): void;
}

export function memoAsync<T>(build: () => Promise<T>): MemoAsync<T> {
  let current: Promise<T> | undefined;
  const get = (() => {
    if (!current) {
      const p = build();
      current = p;
      p.catch(() => {
        if (current === p) current = undefined;
      });
    }
    return current;
  }) as MemoAsync<T>;
  get.reset = () => {
    current = undefined;
  };
  return get;
}
