using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Recoverly.Hosting;

namespace Recoverly.Tests.Hosting;

/// <summary>Where start-up's rehearsed sends go: never to the provider, never with its credentials.</summary>
public class RehearsalProviderTests
{
    private const string TwilioSend = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

    /// <summary>Records the requests that get past the handler under test, and answers 200.</summary>
    private sealed class Recorder : HttpMessageHandler
    {
        public List<(Uri? Uri, AuthenticationHeaderValue? Authorization)> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
        {
            Seen.Add((request.RequestUri, request.Headers.Authorization));
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }

    private static HttpRequestMessage SignedSend() => new(HttpMethod.Post, TwilioSend)
    {
        Headers = { Authorization = new AuthenticationHeaderValue("Basic", "QUMwMTIzOnNlY3JldA==") },
        Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["To"] = "+12025550142", ["From"] = "+12025550196", ["Body"] = "Hi" }),
    };

    [Fact]
    public async Task Outside_a_rehearsal_a_send_goes_to_the_provider_as_built()
    {
        var recorder = new Recorder();
        using var client = new HttpMessageInvoker(new RehearsalAnswers { InnerHandler = recorder });

        using var answer = await client.SendAsync(SignedSend(), CancellationToken.None);

        var (uri, authorization) = Assert.Single(recorder.Seen);
        Assert.Equal(TwilioSend, uri!.ToString());
        Assert.Equal("Basic", authorization?.Scheme);
    }

    [Fact]
    public async Task In_a_rehearsal_a_send_goes_to_its_stand_in_without_the_providers_credentials()
    {
        var recorder = new Recorder();
        using var client = new HttpMessageInvoker(new RehearsalAnswers { InnerHandler = recorder });
        using (Rehearsal.Begin())
        {
            Rehearsal.SendTo(new Uri("http://127.0.0.1:45678"));
            using var answer = await client.SendAsync(SignedSend(), CancellationToken.None);
        }

        var (uri, authorization) = Assert.Single(recorder.Seen);
        Assert.Equal("http://127.0.0.1:45678/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json", uri!.ToString());
        Assert.Null(authorization);
    }

    [Fact]
    public async Task A_rehearsal_without_a_stand_in_sends_nothing_anywhere()
    {
        var recorder = new Recorder();
        using var client = new HttpMessageInvoker(new RehearsalAnswers { InnerHandler = recorder });
        using (Rehearsal.Begin())
        {
            using var answer = await client.SendAsync(SignedSend(), CancellationToken.None);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        }
        Assert.Empty(recorder.Seen);
    }

    [Fact]
    public async Task The_stand_in_answers_a_send_as_the_provider_accepts_one_on_loopback_and_nothing_else()
    {
        Uri address;
        await using (var standIn = await RehearsalProvider.StartAsync(CancellationToken.None))
        {
            address = standIn.Address;
            Assert.Equal("127.0.0.1", address.Host);
            using var http = new HttpClient { BaseAddress = address };

            using var send = SignedSend();
            send.RequestUri = new Uri(address, new Uri(TwilioSend).PathAndQuery);
            using var accepted = await http.SendAsync(send);
            Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
            using var message = JsonDocument.Parse(await accepted.Content.ReadAsStringAsync());
            Assert.StartsWith("SM", message.RootElement.GetProperty("sid").GetString());
            Assert.Equal("queued", message.RootElement.GetProperty("status").GetString());
            Assert.Equal("+12025550142", message.RootElement.GetProperty("to").GetString());
            Assert.Equal("AC0123456789abcdef0123456789abcdef", message.RootElement.GetProperty("account_sid").GetString());

            using var telnyx = await http.PostAsync("/v2/messages", new StringContent("{}"));
            Assert.Equal(HttpStatusCode.OK, telnyx.StatusCode);
            using var list = await http.GetAsync("/2010-04-01/Accounts/AC0/Messages.json");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, list.StatusCode);
        }

        // Gone with the rehearsal: nothing listens there any more.
        using var after = new HttpClient();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => after.GetAsync(address));
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
    }
}
