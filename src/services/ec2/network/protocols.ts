import { ec2Errors } from '../errors.js';

const NAMES: Record<string, string> = { tcp: '6', udp: '17', icmp: '1', icmpv6: '58', all: '-1', '-1': '-1' };
const NUMBER_NAMES: Record<string, string> = { '6': 'tcp', '17': 'udp', '1': 'icmp', '58': 'icmpv6', '-1': '-1' };

/** A protocol given as a name or a number, as its IP protocol number string (`-1` = all). */
export function protocolNumber(value: string | undefined, parameter: string): string {
  const v = String(value ?? '')
    .trim()
    .toLowerCase();
  if (NAMES[v]) return NAMES[v];
  if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return String(Number(v));
  throw ec2Errors.unknownProtocol(String(value), parameter);
}

/** Security groups show tcp, udp, icmp, icmpv6 and -1 by name, other protocols by number. */
export function protocolName(value: string | undefined, parameter: string): string {
  const n = protocolNumber(value, parameter);
  return NUMBER_NAMES[n] ?? n;
}
