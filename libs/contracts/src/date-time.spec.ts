import { validateSync } from 'class-validator';
import { IsDateTime, isDateTime, IsMoment, isMoment } from './date-time';

class Offer {
  @IsDateTime()
  expiresAt: unknown;
}

class Key {
  @IsMoment()
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

describe('isMoment', () => {
  it.each([['2027-06-30T00:00:00Z'], ['2027-06-30T08:00:00+08:00'], ['2027-06-30T08:00:00+0800'], ['2027-06-30T00:00:00.123z'], ['2027-06-30T08:00-05:00'], ['9999-12-31T23:59:59Z'], ['1970-01-01T08:00:00+08:00']])('takes %s', (value) => {
    expect(isMoment(value)).toBe(true);
  });

  it.each([
    ['2027-06-30', 'a date alone, which would be midnight UTC'],
    ['2027-06-30T08:00:00', 'a local time'],
    ['2027-06-30T08:00:00.000', 'a local time with a fraction'],
    ['2027-W26-3T00:00:00Z', 'a week date'],
    ['2027-02-30T00:00:00+08:00', 'a day that does not exist'],
    ['9999-12-31T23:59:59-23:59', 'the year 10000 in UTC'],
    ['9999-12-31T23:00:00-01:00', 'the first hour of the year 10000 in UTC'],
    ['0000-12-31T23:59:59Z', 'the year 0'],
    [1782777600000, 'a number'],
  ] as [unknown, string][])('refuses %s (%s)', (value) => {
    expect(isMoment(value)).toBe(false);
  });

  it('tells the writer to name the offset', () => {
    const key = Object.assign(new Key(), { expiresAt: '2027-01-01' });
    expect(validateSync(key)[0].constraints).toEqual({ isMoment: expect.stringMatching(/^expiresAt must be an ISO 8601 date-time with its UTC offset, such as 2027-06-30T00:00:00\+08:00/) });
  });
});
