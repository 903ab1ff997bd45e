/** One benchmark figure and the floor it is compared to, measured in the same run on the same machine. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  floorName: string;
  floor: number;
}
