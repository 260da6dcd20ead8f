import { describe, expect, it } from 'vitest';
import type { OrderSummary } from '../api';
import { CARLA } from '../test/shell';
import { byLevel, canManageOrders, contactEmailProblem, isPast, nextLevels, validateContact, validateModel, validateOrder, emptyOrder } from './orders';

const ORDER: OrderSummary = {
  id_orden: 'orden-1',
  numero_orden: 'OC-1',
  id_tipo_scooter: 'tipo-1',
  modelo: 'Urbano 350',
  potencia: '350W',
  nivel: 1,
  estado: 'Pedido',
  telefono_contacto: '600 111 222',
  email_contacto: null,
  link_orden: null,
  fecha_orden: '2026-12-01T09:00:00Z',
  fecha_entrega_estimada: '2026-12-20',
  atrasada: false,
};

describe('orders', () => {
  it('an order only moves forward: the levels it can still reach', () => {
    expect(nextLevels(1)).toEqual([2, 3]);
    expect(nextLevels(2)).toEqual([3]);
    expect(nextLevels(3)).toEqual([]);
  });

  it('only inventory.edit changes models and orders', () => {
    expect(canManageOrders(CARLA)).toBe(true);
    const tecnico = { ...CARLA, permisos: { ...CARLA.permisos, inventory: { view: true, create: true, edit: false, delete: false } } };
    expect(canManageOrders(tecnico)).toBe(false);
  });

  it('groups by level and tells a past ETA from today', () => {
    const groups = byLevel([ORDER, { ...ORDER, id_orden: 'o2', nivel: 3 }, { ...ORDER, id_orden: 'o3', nivel: 1 }]);
    expect(groups[1].map((o) => o.id_orden)).toEqual(['orden-1', 'o3']);
    expect(groups[2]).toEqual([]);
    expect(groups[3].map((o) => o.id_orden)).toEqual(['o2']);
    const today = new Date(2026, 11, 3);
    expect(isPast('2026-12-02', today)).toBe(true);
    expect(isPast('2026-12-03', today)).toBe(false);
  });

  it('a new order needs a number and a model, and checks e-mail, link and date before the library', () => {
    const empty = validateOrder(emptyOrder());
    expect(empty.input).toBeNull();
    expect(Object.keys(empty.errors).sort()).toEqual(['model', 'numero_orden']);
    const wrong = validateOrder({ ...emptyOrder('tipo-1'), numero_orden: 'OC-9', email_contacto: 'compras', link_orden: 'web', fecha_entrega_estimada: 'mañana' });
    expect(wrong.errors).toEqual({ email_contacto: { key: 'email' }, link_orden: { key: 'url' }, fecha_entrega_estimada: { key: 'date' } });
    const right = validateOrder({ ...emptyOrder('tipo-1'), numero_orden: ' OC-9 ', email_contacto: 'compras@taller.es', fecha_entrega_estimada: '2026-12-24' });
    expect(right.input).toEqual({
      numero_orden: 'OC-9',
      model: 'tipo-1',
      estado: null,
      telefono_contacto: null,
      email_contacto: 'compras@taller.es',
      link_orden: null,
      fecha_entrega_estimada: '2026-12-24',
    });
    expect(contactEmailProblem('a@b')).toEqual({ key: 'email' });
    expect(contactEmailProblem('')).toBeNull();
  });

  it('an edit sends only the fields that changed; an emptied field clears it', () => {
    const same = validateContact(ORDER, { fecha_entrega_estimada: '2026-12-20', telefono_contacto: '600 111 222', email_contacto: '', link_orden: '' });
    expect(same).toEqual({ errors: {}, input: null, unchanged: true });
    const edited = validateContact(ORDER, { fecha_entrega_estimada: '', telefono_contacto: '611 000 000', email_contacto: '', link_orden: '' });
    expect(edited.input).toEqual({ order: 'orden-1', telefono_contacto: '611 000 000', email_contacto: null, link_orden: null, fecha_entrega_estimada: '' });
    const bad = validateContact(ORDER, { fecha_entrega_estimada: '2026-12-20', telefono_contacto: '600 111 222', email_contacto: 'x', link_orden: '' });
    expect(bad.input).toBeNull();
    expect(bad.errors.email_contacto).toEqual({ key: 'email' });
  });

  it('a model needs a name and a power', () => {
    expect(validateModel({ nombre: ' ', potencia: '', descripcion: '' }).errors).toEqual({ nombre: { key: 'required' }, potencia: { key: 'required' } });
    expect(validateModel({ nombre: ' Urbano 350 ', potencia: '350W', descripcion: '' }).input).toEqual({ nombre: 'Urbano 350', potencia: '350W', descripcion: null });
  });
});
