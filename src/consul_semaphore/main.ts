// The built module's entry point (dist/consul_semaphore.js).
import { main } from '../shared/run-module';
import { consulSemaphore } from './module';

main(consulSemaphore);
