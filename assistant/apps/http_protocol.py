"""uvicorn's HTTP protocols with one change: a request too malformed to reach the app (a bad request
line, an invalid header, a broken chunked body) is answered in the API's error shape,
`{"error": {"message", "type", "param", "code"}}`, like every other error, instead of uvicorn's plain
text. `serve` passes one of these classes as uvicorn's `http` setting."""

from __future__ import annotations

import json

from uvicorn.protocols.http.h11_impl import H11Protocol

from assistant.apps.openai_wire import error_body


def _json_400(msg: str) -> bytes:
    return json.dumps(error_body(f"malformed HTTP request ({msg}); expected HTTP/1.1 with valid headers",
                                 "invalid_request_error", "malformed_request")).encode()


class JsonErrorsH11(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        import h11

        body = _json_400(msg)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close")]
        self.transport.write(self.conn.send(h11.Response(status_code=400, headers=headers, reason=b"Bad Request")))
        self.transport.write(self.conn.send(h11.Data(data=body)))
        self.transport.write(self.conn.send(h11.EndOfMessage()))


def protocol():
    """The httptools protocol (uvicorn's faster default) when installed, else h11, each answering 400s as JSON."""
    try:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
    except ImportError:
        return JsonErrorsH11

    class JsonErrorsHttpTools(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            body = _json_400(msg)
            content = [STATUS_LINE[400]]
            for name, value in self.server_state.default_headers:
                content.extend([name, b": ", value, b"\r\n"])
            content.extend([b"content-type: application/json\r\n",
                            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                            b"connection: close\r\n", b"\r\n", body])
            self.transport.write(b"".join(content))
            self.transport.close()

    return JsonErrorsHttpTools
