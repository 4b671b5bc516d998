import { validateSync } from 'class-validator';
import { IsDateTime, isDateTime } from './date-time';

class Offer {
  @IsDateTime()
  expiresAt: unknown;
}

describe('isDateTime', () => {
  it.each([
    ['2027-06-30T00:00:00Z'],
    ['2027-06-30T08:00:00+08:00'],
    ['2027-06-30T00:00:00.123456Z'],
    ['2027-06-30'],
  ])('takes %s', (value) => {
    expect(isDateTime(value)).toBe(true);
  });

  it.each([
    ['2027-W26', 'a week date'],
    ['2027-W26-3', 'a week date with its day'],
    ['2027-181', 'an ordinal date'],
    ['20270630', 'the basic format'],
    ['2027-06-30T12:00:00,5Z', 'a decimal comma'],
    ['2027-02-30T00:00:00Z', 'a day that does not exist'],
    ['30/06/2027', 'not ISO 8601'],
    ['', 'nothing'],
    [20270630, 'a number'],
  ] as [unknown, string][])('refuses %s (%s)', (value) => {
    expect(isDateTime(value)).toBe(false);
  });

  it('names the field and the form it wants', () => {
    const offer = Object.assign(new Offer(), { expiresAt: '2027-W26' });
    expect(validateSync(offer)[0].constraints).toEqual({ isDateTime: expect.stringMatching(/^expiresAt must be an ISO 8601 date-time such as 2027-06-30T00:00:00Z/) });
  });
});
