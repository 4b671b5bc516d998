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

describe('a date that is not on the calendar', () => {
  it.each([
    ['2027-02-30T00:00:00+08:00', '2027-02-30', 'February 2027 has 28 days', Key, 'isMoment'],
    ['2028-02-30T00:00:00Z', '2028-02-30', 'February 2028 has 29 days', Key, 'isMoment'],
    ['2027-04-31T08:00:00+08:00', '2027-04-31', 'April 2027 has 30 days', Key, 'isMoment'],
    ['2027-13-01T00:00:00Z', '2027-13-01', 'a year has 12 months', Key, 'isMoment'],
    ['2027-00-10T00:00:00Z', '2027-00-10', 'a year has 12 months', Key, 'isMoment'],
    ['2027-02-29', '2027-02-29', 'February 2027 has 28 days', Offer, 'isDateTime'],
    ['2027-06-00T00:00:00Z', '2027-06-00', 'June 2027 has 30 days', Offer, 'isDateTime'],
  ] as const)('%s is named as no real date (%s), not as a missing offset', (value, date, why, cls, constraint) => {
    const object = Object.assign(new cls(), { expiresAt: value });
    const message = validateSync(object)[0].constraints?.[constraint];
    expect(message).toBe(`expiresAt must be a real date: ${date} is not a day of the calendar (${why})`);
    expect(message).not.toMatch(/offset/);
  });

  it('still asks for the offset when the date is real and the offset missing', () => {
    const key = Object.assign(new Key(), { expiresAt: '2027-02-28T00:00:00' });
    expect(validateSync(key)[0].constraints?.isMoment).toMatch(/with its UTC offset/);
  });
});
