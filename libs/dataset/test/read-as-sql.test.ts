import { Client } from 'pg';
import { SERVER_URL } from '../../../test/support/postgres';
import { readAs, readAsSql } from '../src/read-alike';

/**
 * The database compares names (a vendor's display name with another's, a payee's with one paid
 * before) under `readAsSql`, and the validators compare tags under `readAs`: one key, or a name
 * refused in one place passes in the other.
 */
describe('a text as a reader reads it, in PostgreSQL', () => {
  let client: Client;
  const keyOf = async (text: string): Promise<string> => ((await client.query(`SELECT ${readAsSql('$1::text')} AS key`, [text])).rows[0] as { key: string }).key;

  beforeAll(async () => {
    client = new Client({ connectionString: SERVER_URL });
    await client.connect();
  });
  afterAll(() => client.end());

  it.each([
    '普通话 ',
    'ＡＳＲ',
    'ＩＳＯ　２７００１',
    '呼叫\u3000\u3000中心',
    '数据\u200b堂',
    '\u200e数据堂科技\u2060 ',
    'Magic\u00adData',
    'WEISS Sprachdaten',
    'Weiß Sprachdaten',
    'ΛΟΓΟΣ',
    'Λόγος',
    'Datatang  Technology\tLtd',
    'ẞ',
    'WEIẞ SPRACHDATEN',
    'İSTANBUL Türkçe konuşma',
    'ſprachdaten',
    'µ-law 电话语音',
    'DIŞ TİCARET',
    '招商银行股份有限公司北京分行',
  ])('keys %j as readAs does', async (text) => {
    expect(await keyOf(text)).toBe(readAs(text));
  });

  it.each([
    ['ẞ', 'ß'],
    ['WEIẞ', 'weiss'],
    ['ſ', 's'],
    ['µ', 'μ'],
  ])('reads %j and %j as one', async (first, second) => {
    expect(await keyOf(first)).toBe(await keyOf(second));
    expect(readAs(first)).toBe(readAs(second));
  });

  it.each([
    ['Magic Data', 'MagicData'],
    ['Mass Trust Bank', 'Mas Trust Bank'],
    ['普通话', '普通話'],
    ['ASR', '\u0410SR'],
  ])('tells %j from %j', async (first, second) => {
    expect(await keyOf(first)).not.toBe(await keyOf(second));
  });

  it('takes its expression as SQL and its values as parameters: a quote in a value is a letter', async () => {
    expect(await keyOf("O'Brien  Data")).toBe("o'brien data");
  });
});
