import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { COLLECT_ERRORS, type LabelsOf, METRICS, type MetricKey } from './metric-table.js';

type Spec = (typeof METRICS)[MetricKey];

/** The prom-client object of a metric of the table, typed with its label names. */
export type Instrument<K extends MetricKey> = (typeof METRICS)[K]['type'] extends 'counter'
  ? Counter<LabelsOf<K>>
  : (typeof METRICS)[K]['type'] extends 'gauge'
    ? Gauge<LabelsOf<K>>
    : Histogram<LabelsOf<K>>;

/** The metrics read at scrape time. */
export type CollectedKey = {
  [K in MetricKey]: (typeof METRICS)[K] extends { collected: true } ? K : never;
}[MetricKey];

/** Sets a collected gauge's values for one scrape; the gauge was reset just before. */
export type Collector<K extends CollectedKey> = (gauge: Gauge<LabelsOf<K>>) => Promise<void> | void;

export interface TurboMetricsOptions {
  /**
   * Also export Node's process metrics (`process_*`, `nodejs_*`): one registry per process should.
   * @defaultValue false
   */
  processMetrics?: boolean;
  /**
   * How long a scrape waits for each scrape-time read (a Redis that does not answer must not hang `/metrics`).
   * @defaultValue 2000
   */
  collectTimeoutMs?: number;
}

/**
 * One process's metrics: a prom-client registry holding every metric of {@link METRICS}, shared by the services of
 * the process (`turbostream up` runs three on one). Services count into `metric(key)`; gauges read at scrape time
 * get their values from the collectors registered with {@link onCollect}.
 */
export class TurboMetrics {
  readonly registry = new Registry();
  readonly #instruments = new Map<MetricKey, Counter | Gauge | Histogram>();
  readonly #collectors = new Map<MetricKey, Set<Collector<CollectedKey>>>();
  readonly #collectErrors: Counter<'metric'>;
  readonly #collectTimeoutMs: number;
  /** The scrape-time reads in progress. */
  readonly #collecting = new Set<Promise<void>>();

  constructor(options: TurboMetricsOptions = {}) {
    this.#collectTimeoutMs = options.collectTimeoutMs ?? 2_000;
    const registers = [this.registry];
    for (const [key, spec] of Object.entries(METRICS) as [MetricKey, Spec][]) {
      const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers };
      if (spec.type === 'counter') this.#instruments.set(key, new Counter(common));
      else if (spec.type === 'histogram')
        this.#instruments.set(key, new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] }));
      else {
        const run = (gauge: Gauge) => {
          const collecting = this.#collect(key, gauge);
          this.#collecting.add(collecting);
          return collecting.finally(() => this.#collecting.delete(collecting));
        };
        this.#instruments.set(
          key,
          new Gauge({
            ...common,
            ...('collected' in spec
              ? {
                  collect() {
                    return run(this);
                  },
                }
              : {}),
          }),
        );
      }
    }
    // Registered after the gauges, whose reads a scrape starts first: it waits for them, so it counts this scrape's.
    const collecting = this.#collecting;
    this.#collectErrors = new Counter({
      ...COLLECT_ERRORS,
      labelNames: [...COLLECT_ERRORS.labels],
      registers,
      async collect() {
        await Promise.allSettled([...collecting]);
      },
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** The metric of the table under `key`. */
  metric<K extends MetricKey>(key: K): Instrument<K> {
    return this.#instruments.get(key) as Instrument<K>;
  }

  /**
   * Registers a scrape-time source of a collected gauge; several may add to the same gauge (each sets its own label
   * values). Returns the function that removes it (call it when the service closes).
   */
  onCollect<K extends CollectedKey>(key: K, collector: Collector<K>): () => void {
    let set = this.#collectors.get(key);
    if (!set) {
      set = new Set();
      this.#collectors.set(key, set);
    }
    const added = collector as unknown as Collector<CollectedKey>;
    set.add(added);
    return () => {
      set.delete(added);
    };
  }

  /** The content type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text format, scrape-time gauges read now. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  async #collect(key: MetricKey, gauge: Gauge): Promise<void> {
    gauge.reset();
    const collectors = [...(this.#collectors.get(key) ?? [])];
    await Promise.all(
      collectors.map(async (collector) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            collector(gauge),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('timed out')), this.#collectTimeoutMs);
              timer.unref();
            }),
          ]);
        } catch {
          this.#collectErrors.inc({ metric: METRICS[key].name });
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}
