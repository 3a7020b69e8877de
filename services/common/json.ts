/** JSON.parse without throwing, for cheap, tolerant reads (ingress extraction, processors' payloads). */

export function tryParseJson(text: Buffer | string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
