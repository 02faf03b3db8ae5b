// Shared pieces of the console pages: htm bound to Preact, a polling data hook, error and time formatting.
import { h } from 'preact';
import { useEffect, useState, useCallback } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/** Loads once and on refresh(); `every` ms re-polls. Returns {data, error, refresh}. */
export function useApi(load, deps = [], every = 0) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const refresh = useCallback(
    () =>
      load().then(
        (data) => setState({ data, error: undefined }),
        (error) => setState((s) => ({ data: s.data, error })),
      ),
    deps,
  );
  useEffect(() => {
    refresh();
    if (!every) return undefined;
    const t = setInterval(refresh, every);
    return () => clearInterval(t);
  }, [refresh]);
  return { ...state, refresh };
}

export const ErrorLine = ({ error }) => (error ? html`<p class="error" role="alert">${error.message}</p>` : null);
export const when = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '');
