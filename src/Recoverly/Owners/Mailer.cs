using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Recoverly.Owners;

public sealed class EmailOptions
{
    /// <summary>Empty: mail is written to <see cref="PickupFolder"/> instead of sent (development).</summary>
    public string? SmtpHost { get; set; }
    public int SmtpPort { get; set; } = 587;
    public string? SmtpUser { get; set; }
    public string? SmtpPassword { get; set; }
    /// <summary>
    /// True (default): the connection must be encrypted (TLS from the start on port 465, STARTTLS otherwise) or
    /// nothing is sent — reset and confirmation links work as passwords. False: encrypt only when the server offers it.
    /// </summary>
    public bool SmtpRequireTls { get; set; } = true;
    public string From { get; set; } = "Recoverly <no-reply@recoverly.local>";
    public string PickupFolder { get; set; } = "data/mail";
}

/// <summary>Sends owner email (confirmations, password resets, email alerts) by SMTP, or drops it in a folder in development.</summary>
public interface IMailer
{
    Task SendAsync(string to, string subject, string textBody, CancellationToken ct);
}

public sealed class SmtpMailer(Microsoft.Extensions.Options.IOptions<EmailOptions> options) : IMailer
{
    public async Task SendAsync(string to, string subject, string textBody, CancellationToken ct)
    {
        var o = options.Value;
        using var smtp = new SmtpClient();
        await smtp.ConnectAsync(o.SmtpHost!, o.SmtpPort, Security(o), ct);
        if (!string.IsNullOrEmpty(o.SmtpUser)) await smtp.AuthenticateAsync(o.SmtpUser, o.SmtpPassword ?? "", ct);
        await smtp.SendAsync(Compose(o.From, to, subject, textBody), ct);
        await smtp.DisconnectAsync(true, ct);
    }

    public static SecureSocketOptions Security(EmailOptions o) =>
        !o.SmtpRequireTls ? SecureSocketOptions.StartTlsWhenAvailable
        : o.SmtpPort == 465 ? SecureSocketOptions.SslOnConnect
        : SecureSocketOptions.StartTls;

    internal static MimeMessage Compose(string from, string to, string subject, string textBody)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = textBody };
        return message;
    }
}

public sealed class PickupFolderMailer(Microsoft.Extensions.Options.IOptions<EmailOptions> options, ILogger<PickupFolderMailer> log) : IMailer
{
    public async Task SendAsync(string to, string subject, string textBody, CancellationToken ct)
    {
        var folder = Path.GetFullPath(options.Value.PickupFolder);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}.eml");
        // Written aside and renamed, so whoever watches the folder never reads half a mail.
        await SmtpMailer.Compose(options.Value.From, to, subject, textBody).WriteToAsync(file + ".part", ct);
        File.Move(file + ".part", file);
        // The path only: the mail may hold a reset link, which must not reach the logs.
        log.LogWarning("No SMTP server configured (Email:SmtpHost); email \"{Subject}\" written to {File}", subject, file);
    }
}
