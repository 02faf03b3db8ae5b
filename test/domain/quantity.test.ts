// The one parser of Kubernetes quantities, and the two ways the app reads them: storage sizes
// (runbooks: PVC expansion) refuse what is not a byte count; requests (budget allocation) take all.
import { describe, expect, it } from 'vitest';
import { parseKubeQuantity } from '../../src/domain/quantity.js';
import { quantity } from '../../src/budget/report.js';
import { parseQuantity } from '../../src/runbooks/quantity.js';

describe('Kubernetes quantities', () => {
  it('parses mantissa, exponent and suffix', () => {
    expect(parseKubeQuantity('1.5Gi')).toEqual({ mantissa: 1.5, exponent: undefined, suffix: 'Gi', value: 1.5 * 2 ** 30 });
    expect(parseKubeQuantity(' 250m ')).toEqual({ mantissa: 250, exponent: undefined, suffix: 'm', value: 0.25 });
    expect(parseKubeQuantity('1e3')).toEqual({ mantissa: 1, exponent: 3, suffix: '', value: 1000 });
    expect(parseKubeQuantity('-2k')?.value).toBe(-2000);
    expect(parseKubeQuantity('10 Gi')).toBeNull();
    expect(parseKubeQuantity('Gi')).toBeNull();
    expect(parseKubeQuantity('1Gb')).toBeNull();
  });

  it('reads CPU and memory requests with every form, 0 when absent or not a quantity', () => {
    expect(quantity('250m')).toBe(0.25);
    expect(quantity('512Mi')).toBe(512 * 2 ** 20);
    expect(quantity('2e3')).toBe(2000);
    expect(quantity(3)).toBe(3);
    expect(quantity(undefined)).toBe(0);
    expect(quantity('lots')).toBe(0);
  });

  it('reads storage sizes as whole bytes and refuses milli-units, exponents and signs', () => {
    expect(parseQuantity('10Gi')).toBe(10 * 2 ** 30);
    expect(parseQuantity('500G')).toBe(500e9);
    expect(parseQuantity('1.5Ki')).toBe(1536);
    expect(parseQuantity('0.1')).toBe(1);
    for (const bad of ['100m', '1e9', '+1Gi', '-1Gi', '', '1 Gi']) expect(parseQuantity(bad), bad).toBeNull();
  });
});
