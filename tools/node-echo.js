// node-echo.js - the Node.js echo server tools/bench measures the stages
// against: the whole server is net.createServer(s => s.pipe(s)).
//
// usage: node tools/node-echo.js [-p PORT] [-e CMD]
//
//   -p PORT  port on 127.0.0.1 (default 7007; 0 lets the kernel choose);
//            prints "listening on 127.0.0.1:PORT" once listening.
//   -e CMD   pipe each connection through its own child process,
//            child_process.spawn(CMD) (no shell, no arguments), as stage
//            07's -e does through /bin/sh: the socket into the child's
//            stdin, its stdout back to the socket. `-e cat` echoes.
//
// pipe() moves the bytes, with backpressure both ways: when the socket (or
// the child's stdin) cannot take more, it pauses the reading side until
// 'drain'. Past the one-liner, two things a server must do anyway: an
// 'error' handler on each stream (a client's reset is an 'error' event,
// and one without a handler ends the process), and, with -e, allowHalfOpen,
// so that a client's FIN closes the child's stdin while the child's last
// output still goes out.
'use strict';

const net = require('net');
const { spawn } = require('child_process');

function usage() {
	process.stderr.write('usage: node-echo.js [-p PORT] [-e CMD]\n');
	process.exit(2);
}

let port = 7007;
let cmd = null;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i += 2) {
	if (i + 1 >= args.length) usage();
	if (args[i] === '-p' && /^[0-9]+$/.test(args[i + 1]) &&
	    Number(args[i + 1]) <= 65535) {
		port = Number(args[i + 1]);
	} else if (args[i] === '-e' && args[i + 1] !== '') {
		cmd = args[i + 1];
	} else {
		usage();
	}
}

function echo(s) {
	s.on('error', () => s.destroy());
	s.pipe(s);
}

function through_child(s) {
	const child = spawn(cmd, [], { stdio: ['pipe', 'pipe', 'inherit'] });
	s.on('error', () => s.destroy());
	child.on('error', (err) => { // spawn failed: out of processes, say
		process.stderr.write(`node-echo: spawn ${cmd}: ${err.message}\n`);
		s.destroy();
	});
	child.stdin.on('error', () => {}); // EPIPE: the child left early
	s.on('close', () => child.stdin.destroy());
	s.pipe(child.stdin);
	child.stdout.pipe(s);
}

const server = net.createServer({ allowHalfOpen: cmd !== null },
	cmd === null ? echo : through_child);
server.on('error', (err) => {
	process.stderr.write(`node-echo: ${err.message}\n`);
	process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
	process.stdout.write(`listening on 127.0.0.1:${server.address().port}\n`);
});
