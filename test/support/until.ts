/** Polls `check` every 5 ms until it holds (vitest's vi.waitUntil); rejects after `timeoutMs`. */
import { vi } from 'vitest';

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await vi.waitUntil(check, { timeout: timeoutMs, interval: 5 });
}
