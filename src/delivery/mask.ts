/**
 * The masked form of an email address that Cognito shows in CodeDeliveryDetails.Destination
 * (`a***@e***.com`): enough for a user to recognise their own address, too little to learn
 * someone else's. Also the only form of an address that delivery/ writes to a log.
 */

/** First character (a whole code point, never half a surrogate pair), or "". */
function first(s: string): string {
  const [c] = s;
  return c ?? "";
}

/**
 * `alice@example.com` → `a***@e***.com`: the local part's first character, `***@`, the first
 * character of the domain's first label, `***`, then the last label with its dot. Odd input
 * never throws: no `@` masks the whole string as a local part, a domain without a dot keeps
 * no label, and an empty part keeps only its stars.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  if (at < 0) return `${first(address.trim())}***`;
  const local = address.slice(0, at);
  const labels = address
    .slice(at + 1)
    .split(".")
    .filter((label) => label !== "");
  const tld = labels.length > 1 ? `.${labels[labels.length - 1]}` : "";
  return `${first(local)}***@${first(labels[0] ?? "")}***${tld}`;
}
