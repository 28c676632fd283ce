// The built module's entry point (dist/consul_lock.js).
import { main } from '../shared/run-module';
import { consulLock } from './module';

main(consulLock);
