import { describe, expect, it } from 'vitest';
import { isTributaryError, TributaryError } from './errors.js';

describe('TributaryError instanceof', () => {
  it('holds for any copy of the class (the brand), but a subclass checks its own prototype', () => {
    class AppError extends TributaryError {}
    const plain = new TributaryError('INVALID_CONFIG', 'x');
    const own = new AppError('INVALID_CONFIG', 'y');
    expect(plain instanceof TributaryError).toBe(true);
    expect(own instanceof TributaryError).toBe(true);
    expect(own instanceof AppError).toBe(true);
    // The inherited Symbol.hasInstance made every TributaryError an AppError.
    expect(plain instanceof AppError).toBe(false);
    // Another copy of the library: an object with the process-wide brand passes the base check only.
    const other = Object.create(Object.assign(Object.create(Error.prototype), { [Symbol.for('tributary-log.TributaryError')]: true })) as object;
    expect(other instanceof TributaryError).toBe(true);
    expect(other instanceof AppError).toBe(false);
    expect(isTributaryError(own, 'INVALID_CONFIG')).toBe(true);
    expect(new Error('z') instanceof TributaryError).toBe(false);
  });
});
