#ifndef PREDICTWIRE_TRANSPORT_COMMON_ASIO_TYPES_H_
#define PREDICTWIRE_TRANSPORT_COMMON_ASIO_TYPES_H_

// The concrete Asio types every transport uses. One io_context per IO thread and its concrete
// executor type, never any_io_executor, whose copies cost ~13% of throughput
// (docs/architecture.md, "The hot path").

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

namespace predictwire::transport {

namespace asio = boost::asio;
using ErrorCode = boost::system::error_code;
using IoExecutor = asio::io_context::executor_type;
using TcpSocket = asio::basic_stream_socket<asio::ip::tcp, IoExecutor>;
using TcpAcceptor = asio::basic_socket_acceptor<asio::ip::tcp, IoExecutor>;
using SteadyTimer =
    asio::basic_waitable_timer<std::chrono::steady_clock,
                               asio::wait_traits<std::chrono::steady_clock>, IoExecutor>;

}  // namespace predictwire::transport

#endif  // PREDICTWIRE_TRANSPORT_COMMON_ASIO_TYPES_H_
