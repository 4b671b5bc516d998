import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { RejectAccessRequestRequest } from './ordering.messages';

const id = '0b7c3a52-6c1e-4a4f-9a57-3f1d2f0c9e11';

/** The reason's problems as a client would read them, or [] when the message is taken. */
function problems(message: Record<string, unknown>): string[] {
  const errors = validateSync(plainToInstance(RejectAccessRequestRequest, message), { whitelist: true, forbidNonWhitelisted: true });
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

describe("a vendor's reason for rejecting an access request, which the buyer reads", () => {
  it.each([
    ['no reason', {}],
    ['a reason in Chinese', { reason: '申请用途为人脸识别商用，超出本数据集授权范围' }],
    ['a reason over several lines', { reason: '申请用途超出授权范围：\n1. 人脸识别商用\n2. 向第三方转售' }],
    ['1,000 characters', { reason: '语'.repeat(1000) }],
    ['a right-to-left mark, which reorders nothing by itself', { reason: 'Arabic \u200f reads fine' }],
  ])('takes %s', (_, body) => {
    expect(problems({ id, ...body })).toEqual([]);
  });

  it.each([
    ['an empty reason', '', 'reason must be longer than or equal to 1 characters'],
    ['spaces alone', '   \n ', 'reason must be longer than or equal to 1 characters'],
    ['1,001 characters', '语'.repeat(1001), 'reason must be shorter than or equal to 1000 characters'],
    ['an escape sequence', '拒绝\u001b[31m', 'reason must not contain control characters (tabs and line breaks are fine)'],
    ['a right-to-left override', '授权期限 \u202e年01', 'reason must not contain bidirectional embedding, override or isolate characters (U+202A-U+202E, U+2066-U+2069)'],
  ])('refuses %s', (_, reason, problem) => {
    expect(problems({ id, reason })).toEqual([problem]);
  });

  it('is kept trimmed', () => {
    expect(plainToInstance(RejectAccessRequestRequest, { id, reason: '  超出授权范围 \n' }).reason).toBe('超出授权范围');
  });
});
