import type { DaemonInfo } from '../daemon/home.js';

/**
 * The cloud's AWS time seen from outside: its clock starts at the daemon's start with AWS time = wall time and runs
 * `timeScale` times faster. Durations (RTO, RPO) come from wall differences × scale, which are exact; absolute AWS
 * times carry the daemon's few start-up milliseconds × scale.
 */
export class AwsTime {
  private readonly anchor: number;
  constructor(
    readonly scale: number,
    startedAt: string,
    readonly wallStart = Date.now(),
  ) {
    this.anchor = Date.parse(startedAt);
  }

  static of(info: DaemonInfo): AwsTime {
    return new AwsTime(info.timeScale, info.startedAt);
  }

  awsAt(wall: number): number {
    return this.anchor + (wall - this.anchor) * this.scale;
  }

  wallAt(aws: number): number {
    return this.anchor + (aws - this.anchor) / this.scale;
  }

  now(): number {
    return this.awsAt(Date.now());
  }

  /** Wall milliseconds for a span of AWS milliseconds. */
  wallMs(awsMs: number): number {
    return awsMs / this.scale;
  }
}
