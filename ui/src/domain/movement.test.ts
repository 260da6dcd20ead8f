import { describe, expect, it } from 'vitest';
import { CONCEPTS, MOTOR } from '../test/shell';
import { emptyMovement, fieldOfRejection, validateMovement, type MovementDraft } from './movement';
import { parseWhole, quantityProblem } from './validation';

const rules = { maxQuantity: 100_000, concepts: CONCEPTS };

function draft(overrides: Partial<MovementDraft> = {}): MovementDraft {
  return { ...emptyMovement('loc-norte', 'user-carla'), part: MOTOR, partText: MOTOR.referencia, cantidad: '2', ...overrides };
}

describe('movement form validation', () => {
  it('a complete draft becomes the command input, with numbers', () => {
    const { errors, input } = validateMovement(draft({ numero_orden: ' 4512 ' }), rules);
    expect(errors).toEqual({});
    expect(input).toEqual({
      id_localizacion: 'loc-norte',
      id_repuesto: MOTOR.id_repuesto,
      id_tecnico_asignado: 'user-carla',
      concepto: 'salida',
      tipo: 'salida',
      cantidad: 2,
      numero_orden: 4512,
    });
  });

  it('the part and the concept are required; an empty form says so field by field', () => {
    const { errors, input } = validateMovement(
      { ...emptyMovement('', ''), concepto: '', tipo: '' },
      rules,
    );
    expect(input).toBeNull();
    expect(errors).toEqual({
      id_localizacion: { key: 'required' },
      part: { key: 'required' },
      concepto: { key: 'required' },
      tipo: { key: 'required' },
      cantidad: { key: 'required' },
      id_tecnico_asignado: { key: 'required' },
    });
  });

  it('a typed reference with no part behind it is an unknown reference', () => {
    const { errors } = validateMovement(draft({ part: null, partText: ' XYZ-1 ' }), rules);
    expect(errors.part).toEqual({ key: 'unknownReference', values: { code: 'XYZ-1' } });
  });

  it.each([
    ['0', 'wholePositive'],
    ['-1', 'wholePositive'],
    ['1.5', 'wholePositive'],
    ['2,5', 'wholePositive'],
    ['3e2', 'wholePositive'],
    ['dos', 'wholePositive'],
    ['100001', 'tooLarge'],
    ['   ', 'required'],
  ])('quantity %j is refused (%s)', (cantidad, key) => {
    const { errors, input } = validateMovement(draft({ cantidad }), rules);
    expect(input).toBeNull();
    expect(errors.cantidad?.key).toBe(key);
  });

  it.each(['1', ' 7 ', '100000'])('quantity %j is a positive whole number', (cantidad) => {
    expect(validateMovement(draft({ cantidad }), rules).errors.cantidad).toBeUndefined();
  });

  it('the type must be one the concept allows (the domain table from the shell)', () => {
    expect(validateMovement(draft({ concepto: 'ingreso', tipo: 'salida' }), rules).errors.tipo).toEqual({ key: 'typeNotAllowed' });
    expect(validateMovement(draft({ concepto: 'cotizacion', tipo: 'venta' }), rules).errors.tipo).toBeUndefined();
  });

  it('the order number is optional, and a positive whole number when given', () => {
    expect(validateMovement(draft({ numero_orden: '' }), rules).input?.numero_orden).toBeNull();
    expect(validateMovement(draft({ numero_orden: '0' }), rules).errors.numero_orden).toEqual({ key: 'wholePositive' });
    expect(validateMovement(draft({ numero_orden: '99999999999' }), rules).errors.numero_orden?.key).toBe('tooLarge');
  });

  it('refusals from the library land on the field they are about', () => {
    expect(fieldOfRejection('invalid_quantity')).toBe('cantidad');
    expect(fieldOfRejection('insufficient_stock')).toBe('cantidad');
    expect(fieldOfRejection('invalid_movement')).toBe('tipo');
    expect(fieldOfRejection('not_found')).toBe('part');
    expect(fieldOfRejection('time_out_of_range')).toBeNull();
  });
});

describe('whole numbers', () => {
  it('parses only digits', () => {
    expect(parseWhole('12')).toBe(12);
    expect(parseWhole('+12')).toBeNull();
    expect(parseWhole('0x10')).toBeNull();
    expect(parseWhole('')).toBeNull();
    expect(quantityProblem('5', 4)).toEqual({ key: 'tooLarge', values: { max: 4 } });
  });
});
