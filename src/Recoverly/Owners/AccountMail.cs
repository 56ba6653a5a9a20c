using System.Threading.Channels;

namespace Recoverly.Owners;

/// <summary>
/// Account mail (email confirmations, password resets, "you already have an account" notices) leaves
/// through this queue, so no sign-up, login or reset answer waits on the mail server — and none tells
/// by its timing whether a mail was sent. A mail lost to a crash is asked for again by its owner.
/// </summary>
public sealed class AccountMail
{
    private readonly Channel<(string To, string Subject, string Body)> _queue =
        Channel.CreateBounded<(string, string, string)>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Enqueue(string to, string subject, string body) => _queue.Writer.TryWrite((to, subject, body));

    internal ChannelReader<(string To, string Subject, string Body)> Reader => _queue.Reader;
}

/// <summary>Hands queued account mail to the <see cref="IMailer"/>, one at a time.</summary>
public sealed class AccountMailSender(AccountMail mail, IMailer mailer, ILogger<AccountMailSender> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (to, subject, body) in mail.Reader.ReadAllAsync(stoppingToken))
        {
            try
            {
                await mailer.SendAsync(to, subject, body, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The exception only: the body may hold a link that works as a password.
                log.LogError("Sending account email \"{Subject}\" failed: {Error}", subject, e.Message);
            }
        }
    }
}
