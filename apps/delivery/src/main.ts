import { setFlagsFromString } from 'node:v8';
import { bootstrap } from '@trove/platform';
import { AppModule } from './app.module';
import { deliveryOptions } from './delivery.options';

// Every upload and download moves its bytes through thousands of short-lived 64 KiB buffers a
// second, allocated outside V8's heap. By default V8 answers each 64 MiB of such memory with a
// full mark-compact of the whole heap: 14-16 per GiB uploaded, nearly half of the main thread's
// time. Counted in the global heap limit instead, they trigger fewer; the rest go because an
// upload to the filesystem collects the young generation every 32 MiB it receives
// (storage/young-garbage.ts).
setFlagsFromString('--external-memory-accounted-in-global-limit');

void bootstrap(AppModule, deliveryOptions);
