// "Take a photo" where the browser offers a camera: a live preview in a dialog, and the frame
// taken becomes a PNG file like any other photo (it never leaves the page either).

export function setUpCamera({ button, dialog, video, takeButton, onPhoto, onError }) {
  if (!navigator.mediaDevices?.getUserMedia) {
    button.hidden = true;   // no camera API here (or not a secure context)
    return;
  }
  let stream = null;
  const stop = () => {
    stream?.getTracks().forEach((track) => track.stop());
    stream = null;
    video.srcObject = null;
  };
  button.addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (error) {
      onError(`No camera available (${error.message || error.name}). Choose a photo file instead.`);
      return;
    }
    video.srcObject = stream;
    dialog.showModal();
    takeButton.focus();
  });
  takeButton.addEventListener('click', () => {
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    if (!canvas.width || !canvas.height) return;   // no frame yet
    canvas.getContext('2d').drawImage(video, 0, 0);
    dialog.close();
    canvas.toBlob((blob) => {
      if (blob) onPhoto(new File([blob], 'camera.png', { type: 'image/png' }));
    }, 'image/png');
  });
  dialog.addEventListener('close', stop);
}
