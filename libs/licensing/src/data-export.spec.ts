import { exportConflict } from './data-export';
import { LICENSE_TEMPLATE_DEFINITIONS } from './templates';

describe('exportConflict', () => {
  const terms = (uses: string[], territories: string[]) => ({ uses, territories }) as never;

  it.each([
    ['allowed data, redistributed worldwide', 'allowed', terms(['model_training', 'redistribution'], ['WORLDWIDE']), false],
    ['restricted data, trained on in China', 'restricted', terms(['model_training'], ['CN']), false],
    ['restricted data, licensed in Hong Kong without redistribution (the buyer answers for its export)', 'restricted', terms(['model_training', 'commercial_deployment'], ['CN', 'HK']), false],
    ['restricted data, redistributed in mainland China only', 'restricted', terms(['model_training', 'redistribution'], ['CN']), false],
    ['restricted data, redistributed in Hong Kong', 'restricted', terms(['redistribution'], ['CN', 'HK']), true],
    ['restricted data, redistributed worldwide', 'restricted', terms(['model_training', 'redistribution'], ['WORLDWIDE']), true],
  ] as const)('%s: conflict %s', (_what, dataExport, given, conflict) => {
    expect(exportConflict(dataExport, given) !== null).toBe(conflict);
  });

  it("refuses every open license's terms on restricted data, and names where the data would go", () => {
    const open = Object.values(LICENSE_TEMPLATE_DEFINITIONS).filter((t) => t.open);
    expect(open.length).toBeGreaterThan(0);
    for (const template of open) {
      expect(exportConflict('restricted', template.defaultTerms)).toContain('worldwide');
      expect(exportConflict('allowed', template.defaultTerms)).toBeNull();
    }
  });
});
