import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, toApiError } from './client';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => Promise<void>;
  /** Replaces the data locally, after a write that returned the new state. */
  setData: (update: (previous: T | undefined) => T | undefined) => void;
}

/** Loads data when the dependencies change (e.g. the chosen organization); drops stale answers. */
export function useApi<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the caller lists what the loader depends on
  const run = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    try {
      const value = await load();
      if (mine === generation.current) setData(value);
    } catch (e) {
      if (mine === generation.current) setError(toApiError(e));
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, deps);
  useEffect(() => {
    setData(undefined);
    void run();
  }, [run]);
  return { data, error, loading, reload: run, setData };
}
