import { isSafeHref } from "@agentboard/protocol";

interface SafeLinkProps {
  href: string;
  label: string;
  className?: string;
}

/**
 * A link from agent data. The server already refuses other schemes; this is the second guard: anything but
 * https:, http: or an app-relative path renders as plain text, never as a link.
 */
export function SafeLink({ href, label, className }: SafeLinkProps) {
  if (!isSafeHref(href)) return <span className={className}>{label}</span>;
  const external = /^https?:/i.test(href);
  return (
    <a
      className={className}
      href={href}
      {...(external ? { target: "_blank", rel: "noopener noreferrer nofollow" } : {})}
    >
      {label}
    </a>
  );
}
