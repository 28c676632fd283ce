// The built module's entry point (dist/consul_session.js).
import { main } from '../shared/run-module';
import { consulSession } from './module';

main(consulSession);
