import { contactEmailProblem } from './contact-email';

describe('a contact address as an operator reads it', () => {
  it.each(['procurement@sgai-demo.example.cn', 'data-sales@example.cn', 'Zhang.Wei+ai@example.com', '数据采购@例子.中国', 'иван@пример.рф'])('takes %s', (address) => {
    expect(contactEmailProblem(address)).toBeNull();
  });

  it('refuses full-width characters, which read as another address', () => {
    expect(contactEmailProblem('ａｂ@example.com')).toMatch(/reads as ab@example\.com/);
    expect(contactEmailProblem('ab@example．com')).toMatch(/reads as ab@example\.com/);
  });

  it('refuses a part mixing Latin with Cyrillic or Greek letters', () => {
    expect(contactEmailProblem('a@\u0435xample.com')).toMatch(/\("еxample"\)/);
    expect(contactEmailProblem('\u0430dmin@example.com')).toMatch(/Cyrillic or Greek/);
    expect(contactEmailProblem('ops@ex\u03b1mple.com')).toMatch(/Cyrillic or Greek/);
  });

  it('refuses a part spelled only with Cyrillic or Greek letters drawn as Latin ones', () => {
    expect(contactEmailProblem('\u0430@b.co')).toMatch(/reads as "a"/);
    expect(contactEmailProblem('\u0440\u0430\u0443@example.com')).toMatch(/reads as "pay"/);
  });
});
