import type { MouseEvent, ReactNode } from "react";
import { navigate } from "../lib/router";

interface LinkProps {
  to: string;
  className?: string;
  children: ReactNode;
  current?: boolean;
  "aria-label"?: string;
}

/** An in-app link: a real href (so it opens in a new tab), navigated without a reload on a plain click. */
export function Link({ to, className, children, current, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a
      href={to}
      className={className}
      onClick={onClick}
      aria-current={current ? "page" : undefined}
      {...rest}
    >
      {children}
    </a>
  );
}
