import { fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useScanAnywhere, useScanField } from './useScanner';

/** Key presses `gap` ms apart (fake time), each typed into the element as a wedge would. */
function type(element: HTMLElement, text: string, gap: number) {
  for (const key of text) {
    fireEvent.keyDown(element, { key });
    if (element instanceof HTMLInputElement) fireEvent.change(element, { target: { value: element.value + key } });
    vi.advanceTimersByTime(gap);
  }
  return fireEvent.keyDown(element, { key: 'Enter' });
}

function Field({ onScan, onSubmit }: { onScan: (code: string) => void; onSubmit: () => void }) {
  const onKeyDown = useScanField(onScan);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <label>
        Repuesto
        <input
          defaultValue=""
          onKeyDown={(event) => {
            onKeyDown(event);
            // A form submits on Enter unless the scan handler took it.
            if (event.key === 'Enter' && !event.defaultPrevented) onSubmit();
          }}
        />
      </label>
    </form>
  );
}

function Screen({ onScan }: { onScan: (code: string) => void }) {
  useScanAnywhere(onScan);
  return (
    <div>
      <button type="button">Otro control</button>
      <input aria-label="propio" data-scan-field="" />
    </div>
  );
}

describe('scanner hooks (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-01T10:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('in a field: a wedge burst is a scan, and its Enter does not submit the form', () => {
    const onScan = vi.fn();
    const onSubmit = vi.fn();
    render(<Field onScan={onScan} onSubmit={onSubmit} />);
    const input = screen.getByLabelText('Repuesto');
    const notCancelled = type(input, 'MTR-500W-48V', 8);
    expect(onScan).toHaveBeenCalledExactlyOnceWith('MTR-500W-48V', { before: '', value: 'MTR-500W-48V' });
    expect(notCancelled).toBe(false);
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('in a field: a person typing the same text is not a scan, and Enter submits', () => {
    const onScan = vi.fn();
    const onSubmit = vi.fn();
    render(<Field onScan={onScan} onSubmit={onSubmit} />);
    type(screen.getByLabelText('Repuesto'), 'MTR-500W-48V', 140);
    expect(onScan).not.toHaveBeenCalled();
    expect(onSubmit).toHaveBeenCalledOnce();
  });

  it('anywhere: a scan with the focus on any control is caught', () => {
    const onScan = vi.fn();
    render(<Screen onScan={onScan} />);
    const button = screen.getByRole('button', { name: 'Otro control' });
    button.focus();
    type(button, 'BAT-48V-13AH', 6);
    expect(onScan).toHaveBeenCalledExactlyOnceWith('BAT-48V-13AH');
  });

  it('anywhere: leaves fields with their own scanner to them', () => {
    const onScan = vi.fn();
    render(<Screen onScan={onScan} />);
    type(screen.getByLabelText('propio'), 'BAT-48V-13AH', 6);
    expect(onScan).not.toHaveBeenCalled();
  });
});
