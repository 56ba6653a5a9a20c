using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Recoverly.Owners;

namespace Recoverly.Tests.Owners;

/// <summary>Reset and confirmation links work like passwords: they never cross the network in clear text unless the operator says so.</summary>
public class MailerTests
{
    [Fact]
    public async Task A_mail_server_without_TLS_gets_nothing_unless_TLS_is_explicitly_not_required()
    {
        await using var server = await PlainSmtpServer.StartAsync();
        var strict = new SmtpMailer(Options.Create(new EmailOptions { SmtpHost = "127.0.0.1", SmtpPort = server.Port }));

        await Assert.ThrowsAnyAsync<Exception>(() => strict.SendAsync("owner@example.com", "Reset", "https://example.com/reset?token=secret", default));
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL FROM", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Commands, c => c.Contains("secret", StringComparison.Ordinal));

        var relaxed = new SmtpMailer(Options.Create(new EmailOptions { SmtpHost = "127.0.0.1", SmtpPort = server.Port, SmtpRequireTls = false }));
        await relaxed.SendAsync("owner@example.com", "Reset", "hello", default);
        Assert.Contains(server.Commands, c => c.StartsWith("MAIL FROM", StringComparison.Ordinal));
        Assert.Contains(server.Commands, c => c == "DATA");
    }

    /// <summary>A mail server on loopback that speaks SMTP without STARTTLS and records the commands it receives.</summary>
    private sealed class PlainSmtpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _commands = [];
        private Task _loop = Task.CompletedTask;

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public IReadOnlyList<string> Commands { get { lock (_commands) return [.. _commands]; } }

        public static Task<PlainSmtpServer> StartAsync()
        {
            var server = new PlainSmtpServer();
            server._listener.Start();
            server._loop = server.AcceptAsync();
            return Task.FromResult(server);
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    await ServeAsync(client.GetStream());
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // stopped, or the client hung up
            }
        }

        private async Task ServeAsync(NetworkStream stream)
        {
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };
            await writer.WriteLineAsync("220 plain.example ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                lock (_commands) _commands.Add(line);
                var verb = line.Split(' ')[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await writer.WriteLineAsync("250-plain.example");
                        await writer.WriteLineAsync("250 8BITMIME");
                        break;
                    case "DATA":
                        await writer.WriteLineAsync("354 go ahead");
                        while (await reader.ReadLineAsync(_stop.Token) is { } body && body != ".") { }
                        await writer.WriteLineAsync("250 queued");
                        break;
                    case "QUIT":
                        await writer.WriteLineAsync("221 bye");
                        return;
                    default:
                        await writer.WriteLineAsync("250 ok");
                        break;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }
}
