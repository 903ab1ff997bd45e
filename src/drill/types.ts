/** What a drill measures and reports; the JSON of `halo drill --json` is a DrillResult. */
export const SCENARIOS = ['instance-crash', 'host-failure', 'az-outage', 'terminate', 'network-partition'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export function isScenario(s: string): s is Scenario {
  return (SCENARIOS as readonly string[]).includes(s);
}

/** One thing that happened, stamped in wall time and in the cloud's AWS time. */
export interface TimelineEvent {
  /** Wall milliseconds since the drill started. */
  wallMs: number;
  /** AWS time, ISO 8601. */
  aws: string;
  /** AWS seconds since the fault (negative before it). */
  awsSinceFault?: number;
  kind: 'drill' | 'fault' | 'service' | 'alarm' | 'instance' | 'address' | 'scaling' | 'restore' | 'write' | 'health';
  text: string;
  /** For the SVG: the state this event sets (service up/down, alarm state, instance state, EIP owner). */
  lane?: string;
  state?: string;
}

export interface DrillResult {
  scenario: Scenario;
  stack: string;
  profile: string;
  timeScale: number;
  workload: string;
  endpoint: string;
  target: { instanceId: string; zone?: string; hostId?: string };
  recovered: boolean;
  /** After recovery: the instance serving (the Elastic IP's owner, else the newest running one) and its zone. */
  servedBy?: { instanceId: string; zone?: string };
  /** Set when not recovered: the drill's limit, AWS seconds. */
  limitSeconds: number;
  /** Fault → service answering correctly again, AWS seconds; null when not recovered within the limit. */
  rtoSeconds: number | null;
  rtoWallSeconds: number | null;
  /** AWS-time span of acknowledged writes missing afterwards; null when the service never came back to be read. */
  rpoSeconds: number | null;
  lostWrites: number | null;
  acknowledgedWrites: number;
  lostSequences: number[];
  objectives: { rtoSeconds?: number; rpoSeconds?: number; met: boolean };
  interrupted: boolean;
  restored: string;
  faultAt: string;
  timeline: TimelineEvent[];
  /** Probe samples for the SVG: [AWS seconds since fault, 1 up / 0 down], run-length compressed. */
  serviceSamples: Array<[number, 0 | 1]>;
}
