// Simulated time: the emulator's "now" runs `speed` times faster than the wall clock, from
// the moment it started. Changing the speed rebases, so simulated time never jumps back.
export class SimClock {
  private baseReal: number;
  private baseSim: number;
  private speedFactor: number;

  constructor(
    speed = 1,
    private readonly realNow: () => number = Date.now,
  ) {
    if (!(speed > 0)) throw new Error(`speed must be a positive number: got ${speed}`);
    this.baseReal = realNow();
    this.baseSim = this.baseReal;
    this.speedFactor = speed;
  }

  now(): number {
    return this.baseSim + (this.realNow() - this.baseReal) * this.speedFactor;
  }

  get speed(): number {
    return this.speedFactor;
  }

  setSpeed(speed: number): void {
    if (!(speed > 0)) throw new Error(`speed must be a positive number: got ${speed}`);
    const sim = this.now();
    this.baseReal = this.realNow();
    this.baseSim = sim;
    this.speedFactor = speed;
  }

  /** Jumps simulated time forward (admin "advance"), for tests that want a far-off moment. */
  advance(ms: number): void {
    if (ms < 0) throw new Error('time only moves forward');
    this.baseSim += ms;
  }

  /** Real milliseconds that `simMs` of simulated time take at the current speed. */
  realDuration(simMs: number): number {
    return simMs / this.speedFactor;
  }

  toJSON(): { now: string; speed: number } {
    return { now: new Date(this.now()).toISOString(), speed: this.speedFactor };
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
