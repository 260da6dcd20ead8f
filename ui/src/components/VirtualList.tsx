// A long list of cards of varying height (notifications, the conflict inbox): only those on
// screen are in the DOM; each is measured once rendered.

import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';

interface VirtualListProps<Item> {
  items: Item[];
  getKey: (item: Item) => string;
  estimateSize: number;
  label: string;
  render: (item: Item, index: number) => React.ReactNode;
}

export function VirtualList<Item>({ items, getKey, estimateSize, label, render }: VirtualListProps<Item>) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => estimateSize,
    overscan: 4,
    getItemKey: (index) => {
      const item = items[index];
      return item === undefined ? index : getKey(item);
    },
    initialRect: { width: 1000, height: 700 },
  });
  const virtualItems = virtualizer.getVirtualItems();
  return (
    <div ref={scroller} className="virtual-scroll virtual-scroll--cards">
      <ul className="card-list" aria-label={label} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualItems.map((virtual) => {
          const item = items[virtual.index];
          if (item === undefined) return null;
          return (
            <li
              key={virtual.key}
              data-index={virtual.index}
              ref={virtualizer.measureElement}
              className="card-list__item"
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${virtual.start}px)` }}
              aria-setsize={items.length}
              aria-posinset={virtual.index + 1}
            >
              {render(item, virtual.index)}
            </li>
          );
        })}
      </ul>
    </div>
  );
}
