// Minimal types for the part of autocannon the bench uses (the package ships none and
// @types/autocannon is not a project dependency).
declare module 'autocannon' {
  interface Options {
    url: string;
    headers?: Record<string, string>;
    connections?: number;
    amount?: number;
  }
  interface Result {
    latency: { p50: number; p99: number; average: number };
    requests: { total: number };
    non2xx: number;
  }
  export default function autocannon(options: Options): Promise<Result>;
}
