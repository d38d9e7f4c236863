/**
 * The rule column of MessageLog: the mock rule that answered or sent an entry
 * stays with that entry through the ring's growth, eviction and clear.
 */
import { describe, expect, it } from 'vitest';
import { MessageLog, toEntryView } from '../../app/log/message-log.js';

describe('MessageLog rules', () => {
  it('keeps each entry’s rule across growth and eviction, and only entries with one carry it', () => {
    const log = new MessageLog({ budgetBytes: 64 * 1024 });
    const payload = Buffer.from('x');
    for (let i = 0; i < 5000; i++) {
      log.appendFrame(
        'in',
        'text',
        payload,
        i % 3 === 0 ? { clientId: '1' } : { clientId: '1', rule: `rules[${i % 7}]` },
      );
    }
    expect(log.firstSeq).toBeGreaterThan(1); // the budget evicted the oldest
    for (const e of log.read(log.firstSeq, 5000)) {
      const i = e.seq - 1;
      expect(e.rule).toBe(i % 3 === 0 ? undefined : `rules[${i % 7}]`);
      expect(toEntryView(e).rule).toBe(e.rule);
    }
    const repeat = log.appendRepeat('out', 'text', log.lastSeq, { clientId: '1', rule: 'echo' });
    expect(log.get(repeat)!.rule).toBe('echo');
    log.clear();
    const after = log.append('in', 'text', payload);
    expect(after.rule).toBeUndefined();
  });
});
