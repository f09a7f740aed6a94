import { useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, toApiError } from './client';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
  /** Replaces the data locally, after a write that returned the new state. */
  setData: (update: (previous: T | undefined) => T | undefined) => void;
}

/**
 * Loads data, again whenever `key` changes (e.g. the chosen organization), and drops answers that
 * arrive after a newer load started.
 */
export function useApi<T>(load: () => Promise<T>, key: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const loader = useRef(load);
  loader.current = load;
  const keyText = JSON.stringify(key);

  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    try {
      const value = await loader.current();
      if (mine === generation.current) setData(value);
    } catch (e) {
      if (mine === generation.current) setError(toApiError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: keyText is the caller's reason to reload
  useEffect(() => {
    setData(undefined);
    void run();
  }, [run, keyText]);

  return { data, error, loading, reload: run, setData };
}
