// Whether an element is on (or near) screen, through one shared IntersectionObserver: the inspector draws only the
// frame tiles someone can see, so moving the layer slider costs the same at 32 or 1024 frames.
import { useEffect, useState, type RefObject } from 'react';

const callbacks = new Map<Element, (visible: boolean) => void>();
let observer: IntersectionObserver | null = null;

function shared(): IntersectionObserver {
  observer ??= new IntersectionObserver(
    (entries) => {
      for (const e of entries) callbacks.get(e.target)?.(e.isIntersecting);
    },
    { rootMargin: '300px 0px' },
  );
  return observer;
}

export function useVisible(ref: RefObject<Element | null>): boolean {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    callbacks.set(el, setVisible);
    shared().observe(el);
    return () => {
      callbacks.delete(el);
      shared().unobserve(el);
    };
  }, [ref]);
  return visible;
}
